/*** MODULEINFO
	<support_level>core</support_level>
	<load_priority>channel_driver</load_priority>
 ***/

/*** DOCUMENTATION
	<agi name="local show channels"/>
 ***/
int chan_local_placeholder;
