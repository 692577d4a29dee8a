/*
 * version: prowl's version string, the one place it is kept. The build may
 * override it with -DPROWL_VERSION=... .
 */
#ifndef PROWL_VERSION_H
#define PROWL_VERSION_H

#ifndef PROWL_VERSION
#define PROWL_VERSION "0.2.0"
#endif

#endif
