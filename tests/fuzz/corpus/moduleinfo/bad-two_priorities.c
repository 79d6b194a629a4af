/*** MODULEINFO
	<support_level>core</support_level>
	<provides type="function" priority="5">BAD_CASE</provides>
 ***/
/*** DOCUMENTATION
	<function name="BAD_CASE"/>
 ***/
