// Host build of SpiNNFrontEndCommon's debug.h: log lines go to the core's
// I/O buffer in the emulator, which Python can read after a run.
#ifndef _DEBUG_H_
#define _DEBUG_H_

#include <stdint.h>

enum { LOG_ERROR = 10, LOG_WARNING = 20, LOG_INFO = 30, LOG_DEBUG = 40 };

void emu_log(int level, const char *message, ...)
        __attribute__((format(printf, 2, 3)));

#define log_error(...) emu_log(LOG_ERROR, __VA_ARGS__)
#define log_warning(...) emu_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...) emu_log(LOG_INFO, __VA_ARGS__)
#ifdef DEBUG
#define log_debug(...) emu_log(LOG_DEBUG, __VA_ARGS__)
#else
#define log_debug(...) do { } while (0)
#endif

#endif  // _DEBUG_H_
