/*** MODULEINFO
	<support_level>core</support_level>
	<use type="module">func&#10;cut</use>
 ***/
