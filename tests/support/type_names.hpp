// Typed tests over the one transport list, named after each transport's CLI name.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "transports/all.hpp"

namespace ipcbench::testing {

template <class List>
struct ToGtestTypes;
template <class... T>
struct ToGtestTypes<TypeList<T...>> {
  using type = ::testing::Types<T...>;
};
using AllTransportTypes = ToGtestTypes<AllTransports>::type;

struct TransportName {
  template <class T>
  static std::string GetName(int) {
    std::string name(T::kInfo.name);
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
  }
};

}  // namespace ipcbench::testing
