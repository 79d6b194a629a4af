/* A helper of app_queue: no MODULEINFO. */
int queue_log(void) { return 0; }
