/* store/ knows nothing of the faces: including the HTTP API must fail. */
#include "st_pool.h"
#include "api.h"

int bnd_store_includes_api(void);
int bnd_store_includes_api(void) { return 0; }
