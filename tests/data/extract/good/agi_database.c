/*** MODULEINFO
	<support_level>core</support_level>
 ***/

/*** DOCUMENTATION
	<agi name="database get" language="en_US">
		<synopsis>AGI command names with spaces go in a manifest as they are.</synopsis>
	</agi>
 ***/
