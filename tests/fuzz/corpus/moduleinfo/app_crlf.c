/* Windows line endings must not leak into values. */
/*** MODULEINFO
	<depend type="module">res_outside_tree</depend>
	<canuse>func_uri</canuse>
	<load_priority>42</load_priority>
	<support_level>external</support_level>
	<description>Line
		endings</description>
 ***/
/*** DOCUMENTATION
	<application name="Crlf"/>
 ***/
