/* Asterisk always says how well a module is supported; so must we. */

/*** MODULEINFO
	<depend>func_cut</depend>
 ***/
