/*** MODULEINFO
	<support_level>extended</support_level>
	<replacement>app_dial</replacement>
	<deprecated_in>2.0</deprecated_in>
	<removed_in>3.0</removed_in>
	<use type="service">timer</use>
 ***/
int app_dial2_placeholder;
