// Typed tests over the one transport list, or the part of it of one shape, named after each transport's CLI name.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <type_traits>

#include "transports/all.hpp"

namespace ipcbench::testing {

template <class... T>
struct Concat;
template <class... A, class... B>
struct Concat<TypeList<A...>, TypeList<B...>> {
  using type = TypeList<A..., B...>;
};

// The types of List for which Keep<T>::value holds, in the list's order.
template <template <class> class Keep, class List>
struct Filter;
template <template <class> class Keep>
struct Filter<Keep, TypeList<>> {
  using type = TypeList<>;
};
template <template <class> class Keep, class Head, class... Tail>
struct Filter<Keep, TypeList<Head, Tail...>> {
  using rest = typename Filter<Keep, TypeList<Tail...>>::type;
  using type = std::conditional_t<Keep<Head>::value, typename Concat<TypeList<Head>, rest>::type, rest>;
};

template <class List>
struct ToGtestTypes;
template <class... T>
struct ToGtestTypes<TypeList<T...>> {
  using type = ::testing::Types<T...>;
};

template <class T>
struct IsSocket : std::bool_constant<SocketTransport<T>> {};
template <class T>
struct HasTwoSides : std::bool_constant<!LoopbackTransport<T>> {};
template <class T>
struct RunsInProcesses : std::bool_constant<modes_of<T>().process> {};
template <class T>
struct BusyPolls : std::bool_constant<HasBusyPolledVariant<T>> {};

template <class List>
struct BusyPolledOf;
template <class... T>
struct BusyPolledOf<TypeList<T...>> {
  using type = TypeList<typename T::BusyPolled...>;
};

using AllTransportTypes = ToGtestTypes<AllTransports>::type;
using TwoSidedTransports = Filter<HasTwoSides, AllTransports>::type;
using TwoSidedTransportTypes = ToGtestTypes<TwoSidedTransports>::type;
// The transports that have a busy-poll wait, and those variants themselves (--wait busy-poll).
using BusyPollingTransports = Filter<BusyPolls, AllTransports>::type;
using BusyPollingTransportTypes = ToGtestTypes<BusyPollingTransports>::type;
using BusyPolledTransports = BusyPolledOf<BusyPollingTransports>::type;
using ProcessTransportTypes = ToGtestTypes<Filter<RunsInProcesses, AllTransports>::type>::type;
using SocketTransportTypes = ToGtestTypes<Filter<IsSocket, AllTransports>::type>::type;

struct TransportName {
  template <class T>
  static std::string GetName(int) {
    std::string name(T::kInfo.name);
    if (T::kInfo.wait == WaitKind::busy_poll) name += "_busy_poll";
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
  }
};

}  // namespace ipcbench::testing
