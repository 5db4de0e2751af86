/* Stands in for a CPython 3.11 extension module: the file name carries the
   ABI tag (cpython-311), which is what a 3.12 runtime refuses to import. */
void *PyInit__speedups(void) { return 0; }
