/*** MODULEINFO
	<support_level>deprecated</support_level>
	<deprecated_in>version 21</deprecated_in>
 ***/
