// SPDX-License-Identifier: GPL-2.0
/* The tracepoints of trace.h, created here and only here. */
#define CREATE_TRACE_POINTS
#include "trace.h"
