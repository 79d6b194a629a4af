/* Nothing but the one element MODULEINFO needs; no DOCUMENTATION. */
/*** MODULEINFO <support_level>deprecated</support_level> ***/
int minimal;
