/*
 * Provider priorities, doc names named twice, a <depend> on a library and
 * a "//" comment and string that mention the blocks.
 */
// /*** MODULEINFO <depend>ignored</depend> ***/
static const char s[] = "\" /*** DOCUMENTATION ***/";
static const char c = '"';

/*** MODULEINFO
	<depend>res_timing_timerfd</depend>
	<depend>libfast</depend>
	<provides type="service" priority="65535">timer</provides>
	<provides type="timing">fast</provides>
	<provides type="function">FAST</provides>
	<support_level>core</support_level>
	<load_priority>
		realtime_driver
	</load_priority>
	<defaultenabled>yes</defaultenabled>
 ***/

/*** DOCUMENTATION
	<!-- the same function again, and in two languages: merged -->
	<function name="FAST" language="en_US"/>
	<function name="FAST" language="de_DE"/>
	<function name="FASTER" language="en_US">
		<see-also><ref type="function">FAST</ref></see-also>
	</function>
 ***/
