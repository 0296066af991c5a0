// A name for an IPC object that only its creator can know: for the APIs that offer no other way in.
#pragma once

#include <string>
#include <string_view>

namespace ipcbench::sys {

// "/ipcbench-PID-RANDOM-WHAT": this process's id and 64 bits from getentropy(), so that no other
// process can guess the name and open the object first ("/ipcbench-RANDOM" on macOS, whose
// names are at most 31 characters). Throws std::system_error.
std::string private_ipc_name(std::string_view what);

}  // namespace ipcbench::sys
