// EpollSet: the delivery transport's epoll set and what each socket is registered with.
//
// The transport drives libcurl with curl_multi_socket_action; libcurl says through its socket
// callback which sockets to watch. A socket libcurl stops watching (a finished transfer leaves its
// connection in the cache) stays registered, "parked", so the next transfer on that connection
// costs no epoll_ctl at all; an event on a parked socket (the peer closed an idle connection)
// unregisters it. Sockets are closed through CloseSocket (CURLOPT_CLOSESOCKETFUNCTION), which
// forgets them; closing removes a socket from the epoll set by itself. One thread only (the
// transport's loop; libcurl calls the callbacks on it).
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <vector>

namespace herald::delivery {

class EpollSet {
 public:
  EpollSet();  // aborts when the kernel cannot create an epoll instance (out of memory)
  ~EpollSet();
  EpollSet(const EpollSet&) = delete;
  EpollSet& operator=(const EpollSet&) = delete;

  int fd() const { return fd_; }
  // Watches `s` for `events` (EPOLLIN/EPOLLOUT), delivering `data` with them; one epoll_ctl at
  // most, none when the socket is already registered so.
  void Watch(curl_socket_t s, uint64_t data, uint32_t events);
  // libcurl no longer watches `s`; it stays registered until an event or a Watch.
  void Park(curl_socket_t s);
  // An event with `data` arrived for `s`: false when nobody watches it any more (an earlier
  // event of the same batch changed it), or when it is parked (it is unregistered then).
  bool Wanted(curl_socket_t s, uint64_t data);
  // `s` is being closed.
  void Forget(curl_socket_t s);

 private:
  struct Entry {
    uint64_t data = 0;
    uint32_t events = 0;
    bool registered = false;
    bool parked = false;
  };
  Entry& At(curl_socket_t s);

  int fd_ = -1;
  std::vector<Entry> entries_;  // by socket
};

// CURLOPT_CLOSESOCKETFUNCTION with CURLOPT_CLOSESOCKETDATA = the EpollSet: forgets the socket,
// then closes it.
int CloseSocket(void* epoll_set, curl_socket_t s);

}  // namespace herald::delivery
