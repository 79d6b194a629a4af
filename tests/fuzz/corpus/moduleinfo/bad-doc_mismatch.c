/*** MODULEINFO
	<support_level>core</support_level>
 ***/
/*** DOCUMENTATION
	<application name="Foo">
		<synopsis>Foo</para>
	</application>
 ***/
