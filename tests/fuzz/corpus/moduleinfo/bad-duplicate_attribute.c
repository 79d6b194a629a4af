/*** MODULEINFO
	<support_level>core</support_level>
	<use type="module" type='service'>func_cut</use>
 ***/
