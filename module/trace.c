// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the tracepoints declared in trace.h, defined once here.
 */
#include "xtcp.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
