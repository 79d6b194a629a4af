/*** MODULEINFO
	<support_level>core</support_level>
	<description>surrogate &#xD800;</description>
 ***/
