/*** MODULEINFO
	<support_level>deprecated</support_level>
	<replacement>chan_local</replacement>
	<deprecated_in>19</deprecated_in>
	<removed_in>21</removed_in>
 ***/
AST_MODULE_INFO(ASTERISK_GPL_KEY,
	AST_MODFLAG_GLOBAL_SYMBOLS | AST_MODFLAG_LOAD_ORDER,
	"Old channel driver",
	.load_pri = AST_MODPRI_CHANNEL_DRIVER,
);
