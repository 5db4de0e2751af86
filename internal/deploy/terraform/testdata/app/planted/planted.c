/* Built for the host (x86_64) with gcc -shared -fPIC: lib/libplanted.so in
   NativeLayer, the wrong architecture for the arm64 function ArmFn. */
int planted(void) { return 42; }
