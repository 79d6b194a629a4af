/* A module of a tree in the seed's dialect: a module, a library, a hard use. */
/*** MODULEINFO
	<depend>chan_local</depend>
	<depend>sqlite3</depend>
	<use type="module">func_cut</use>
	<conflict>app_dial2</conflict>
	<support_level>core</support_level>
	<description>Dial application</description>
 ***/

/*** DOCUMENTATION
	<application name="Dial"/>
 ***/
int app_dial_placeholder;
