/* p2p/ is a face beside api/, not above it: including the HTTP API must fail. */
#include "p2p_msg.h"
#include "api.h"

int bnd_p2p_includes_api(void);
int bnd_p2p_includes_api(void) { return 0; }
