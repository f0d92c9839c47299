#ifndef BALLAST_CYAML_SHIM_H
#define BALLAST_CYAML_SHIM_H
#include <yaml.h>
#endif
