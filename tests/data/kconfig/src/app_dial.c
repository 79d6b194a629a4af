/*! \file
 * \brief Dial (test source: only its MODULEINFO matters)
 */

/*** MODULEINFO
	<support_level>core</support_level>
	<defaultenabled>no</defaultenabled>
 ***/

int app_dial_placeholder;
