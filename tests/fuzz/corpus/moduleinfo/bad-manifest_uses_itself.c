/*** MODULEINFO
	<support_level>core</support_level>
	<depend>func_cut</depend>
	<use type="module">manifest_uses_itself</use>
 ***/
