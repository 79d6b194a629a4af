/*** MODULEINFO
	<support_level>core</support_level>
	<depend type="module">func&amp_cut</depend>
 ***/
