int monitor_util(void) { return 1; }
