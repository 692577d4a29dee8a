/*
 * errstr: error numbers as message text. Messages in prowl are lowercase and
 * say what failed and what to do; errstr() gives strerror()'s text starting
 * lowercase (acronyms kept: "I/O error"). Never fails.
 */
#ifndef PROWL_ERRSTR_H
#define PROWL_ERRSTR_H

/* strerror(|err|), first letter lowercase unless the word is an acronym. The
 * result lives in a thread-local buffer, valid until the next call. */
const char *errstr(int err);

#endif
