/*
 * A stand-in for a module that runs a dialplan hook every few seconds:
 * only its comment blocks matter to the tests.
 */

/*** MODULEINFO
	<use type="module">app_chanspy</use>
	<depend>func_cut</depend>
	<depend>func_groupcount</depend>
	<use type="module">func_uri</use>
	<depend>pthread</depend>
	<support_level>core</support_level>
	<export_globals/>
 ***/

/*** DOCUMENTATION
	<function name="PERIODIC_HOOK" language="en_US">
		<synopsis>
			Run a hook every N seconds.
		</synopsis>
		<syntax>
			<parameter name="context" required="true"/>
			<parameter name="interval" required="true"/>
		</syntax>
		<description>
			<para>Returns an id; see <literal>HOOK_ID</literal>.</para>
		</description>
	</function>
 ***/

#include <stddef.h>

static const char *banner = "/*** MODULEINFO <use>not_a_block</use> ***/";

int periodic_hook_interval(void)
{
	return banner != NULL ? 5 : 0;
}
