/*** MODULEINFO
	<support_level>core</support_level>
 ***/

/*** DOCUMENTATION
	<agi name="database get" language="en_US">
		<synopsis>AGI command names with spaces cannot go in a manifest.</synopsis>
	</agi>
 ***/
