#include "migrate/make.h"

int mig_make(const mig_make_opts *o, mig_err *e)
{
    (void)o;
    return mig_err_set(e, MIG_USER, "migrate make is not built yet");
}
