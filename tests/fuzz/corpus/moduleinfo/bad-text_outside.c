/*** MODULEINFO
	<support_level>core</support_level>
	func_cut
 ***/
