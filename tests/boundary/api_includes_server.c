/* api/ knows nothing of the daemon: including its options must fail. */
#include "api.h"
#include "srv_config.h"

int bnd_api_includes_server(void);
int bnd_api_includes_server(void) { return 0; }
