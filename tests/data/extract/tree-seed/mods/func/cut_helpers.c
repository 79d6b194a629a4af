/* Shared by func_cut: no MODULEINFO, so no module. */
int cut_helper(void) { return 0; }
