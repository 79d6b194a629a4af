/*** DOCUMENTATION
	<function name="X"/>
 ***/
