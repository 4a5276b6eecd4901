#include "delivery/epoll_set.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace herald::delivery {

EpollSet::EpollSet() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (fd_ < 0) std::abort();
}

EpollSet::~EpollSet() { ::close(fd_); }

EpollSet::Entry& EpollSet::At(curl_socket_t s) {
  auto i = static_cast<size_t>(s);
  if (i >= entries_.size()) entries_.resize(std::max(i + 1, entries_.size() * 2));
  return entries_[i];
}

void EpollSet::Watch(curl_socket_t s, uint64_t data, uint32_t events) {
  Entry& e = At(s);
  e.parked = false;
  if (e.registered && e.data == data && e.events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = data;
  int op = e.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(fd_, op, s, &ev) != 0) {
    // The table disagrees with the kernel (a socket closed without CloseSocket): the other
    // operation is the right one.
    epoll_ctl(fd_, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev);
  }
  e.registered = true;
  e.data = data;
  e.events = events;
}

void EpollSet::Park(curl_socket_t s) { At(s).parked = true; }

bool EpollSet::Wanted(curl_socket_t s, uint64_t data) {
  Entry& e = At(s);
  if (!e.registered || e.data != data) return false;
  if (!e.parked) return true;
  epoll_ctl(fd_, EPOLL_CTL_DEL, s, nullptr);
  e = Entry{};
  return false;
}

void EpollSet::Forget(curl_socket_t s) { At(s) = Entry{}; }

int CloseSocket(void* epoll_set, curl_socket_t s) {
  static_cast<EpollSet*>(epoll_set)->Forget(s);
  return ::close(s);
}

}  // namespace herald::delivery
