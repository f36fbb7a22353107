/* core/ knows nothing above it: including the durable pool must fail. */
#include "addrman.h"
#include "st_pool.h"

int bnd_core_includes_store(void);
int bnd_core_includes_store(void) { return 0; }
