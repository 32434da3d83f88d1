// Giving every placed core its own instance of its model.
//
// A model is a shared library built from the same sources as its .aplx. On
// SpiNNaker each core has its own DTCM, so the globals of a model are the
// core's own; here every core loads a private copy of the library (the
// dynamic linker shares a library loaded twice from one file), so each gets
// its own globals without the model's code knowing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine.h"

static unsigned long copies_made = 0;

static const char *scratch_dir(void) {
    struct stat info;
    if (stat("/dev/shm", &info) == 0 && S_ISDIR(info.st_mode)
            && access("/dev/shm", W_OK) == 0) {
        return "/dev/shm";
    }
    const char *tmp = getenv("TMPDIR");
    return tmp != NULL ? tmp : "/tmp";
}

static int copy_file(const char *from, const char *to, char *error,
        size_t error_size) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(error, error_size, "cannot open model %s: %s", from,
                strerror(errno));
        return -1;
    }
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    if (out < 0) {
        snprintf(error, error_size, "cannot create %s: %s", to,
                strerror(errno));
        close(in);
        return -1;
    }
    char buffer[65536];
    ssize_t n;
    int result = 0;
    while ((n = read(in, buffer, sizeof(buffer))) > 0) {
        if (write(out, buffer, (size_t) n) != n) {
            result = -1;
            break;
        }
    }
    if (n < 0 || result < 0) {
        snprintf(error, error_size, "cannot copy model %s: %s", from,
                strerror(errno));
        result = -1;
    }
    close(in);
    close(out);
    return result;
}

int model_load_instance(emu_t *emu, core_t *core, const char *model_path) {
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s/spinnpop-core-%d-%lu.so", scratch_dir(),
            (int) getpid(), copies_made++);
    if (copy_file(model_path, copy, emu->error, sizeof(emu->error)) != 0) {
        return -1;
    }
    core->library = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    unlink(copy);
    if (core->library == NULL) {
        snprintf(emu->error, sizeof(emu->error), "cannot load model %s: %s",
                model_path, dlerror());
        return -1;
    }
    *(void **) &core->c_main = dlsym(core->library, "c_main");
    if (core->c_main == NULL) {
        snprintf(emu->error, sizeof(emu->error), "model %s has no c_main",
                model_path);
        dlclose(core->library);
        core->library = NULL;
        return -1;
    }
    return 0;
}

void model_unload_instance(core_t *core) {
    if (core->library != NULL) {
        dlclose(core->library);
        core->library = NULL;
    }
}
