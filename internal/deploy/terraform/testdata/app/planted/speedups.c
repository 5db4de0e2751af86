/* Built with gcc -shared -fPIC and named as a CPython 3.11 extension
   (_speedups.cpython-311-x86_64-linux-gnu.so) in AbiLayer: python3.12 never
   imports it. It needs no Python headers: its ABI tag is in its name. */
int PyInit__speedups(void) { return 0; }
