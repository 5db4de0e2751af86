int planted(void) { return 42; }
