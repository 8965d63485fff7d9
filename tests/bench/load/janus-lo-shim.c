/* SPDX-License-Identifier: MIT
 * LD_PRELOAD shim for benchmarking Janus in a loopback-only network
 * namespace: getifaddrs() reports lo without IFF_LOOPBACK, so Janus (which
 * skips loopback interfaces when gathering) offers 127.0.0.1. */
#include <stddef.h>
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>

int
getifaddrs(struct ifaddrs **ifap)
{
  int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
  int rc = real(ifap);
  for (struct ifaddrs *i = rc == 0 ? *ifap : NULL; i; i = i->ifa_next)
    i->ifa_flags &= ~IFF_LOOPBACK;
  return rc;
}
