# The dependency rule of DESIGN.md §1, checked on every build and by `make test`:
#
#   dialogs (pure)  <-  storage  <-  bot
#   dialogs (pure)  <-  adapters <-  bot
#
# dialogs includes only dialogs and the standard library; storage only dialogs; adapters
# only dialogs (they include neither bot/ nor storage/); Beast, Asio and OpenSSL appear
# only in bot/net/*.cpp. Any include that crosses a layer the wrong way fails the build
# with file:line.
#
# Invoked as: cmake -DROOT=<source dir> [-DSTAMP=<file>] -P cmake/check_layers.cmake

if(NOT ROOT)
  message(FATAL_ERROR "check_layers: pass -DROOT=<source dir>")
endif()

# Third-party headers a layer may not see at all.
set(heavy_net "boost/beast" "boost/asio" "openssl/")
set(platform_libs "SQLiteCpp" "sqlite3.h" "spdlog" "CLI/" "date/" ${heavy_net})

set(problems "")

function(check_file file layer)
  file(STRINGS "${file}" lines)
  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*([\"<])([^\">]+)[\">]")
      continue()
    endif()
    set(quote "${CMAKE_MATCH_1}")
    set(close ">")
    if(quote STREQUAL "\"")
      set(close "\"")
    endif()
    set(target "${CMAKE_MATCH_2}")
    file(RELATIVE_PATH rel "${ROOT}" "${file}")
    set(bad "")
    if(quote STREQUAL "\"")
      # Our own headers: which layers may this one name?
      string(REGEX MATCH "^[a-z_]+" top "${target}")
      if(layer STREQUAL "dialogs")
        if(NOT top STREQUAL "dialogs")
          set(bad "dialogs is the pure engine: it includes only dialogs/")
        endif()
      elseif(layer STREQUAL "storage")
        if(NOT (top STREQUAL "dialogs" OR top STREQUAL "storage"))
          set(bad "storage includes only dialogs/ and storage/")
        endif()
      elseif(layer STREQUAL "adapters")
        if(NOT (top STREQUAL "dialogs" OR top STREQUAL "adapters"))
          set(bad "adapters include only dialogs/ and adapters/ (never bot/ or storage/)")
        endif()
      elseif(layer STREQUAL "net")
        if(NOT (target MATCHES "^bot/net/" OR top STREQUAL "adapters"))
          set(bad "bot/net is the network library: it includes only bot/net/ (and adapters/common types)")
        endif()
      endif()
    else()
      # System and third-party headers.
      set(denied "")
      if(layer STREQUAL "dialogs")
        set(denied "boost/" "simdjson" ${platform_libs})
      elseif(layer STREQUAL "storage")
        set(denied "simdjson" "spdlog" "CLI/" "date/" ${heavy_net})
      elseif(layer STREQUAL "adapters")
        set(denied ${platform_libs})
      elseif(layer STREQUAL "net_header" OR layer STREQUAL "bot")
        set(denied ${heavy_net})
      endif()
      foreach(d IN LISTS denied)
        string(FIND "${target}" "${d}" at)
        if(at EQUAL 0)
          set(bad "<${target}> is not allowed in ${layer}")
        endif()
      endforeach()
    endif()
    if(bad)
      set(problems "${problems}${rel}:${n}: #include ${quote}${target}${close}: ${bad}\n")
    endif()
  endforeach()
  set(problems "${problems}" PARENT_SCOPE)
endfunction()

file(GLOB_RECURSE sources LIST_DIRECTORIES false
     "${ROOT}/dialogs/*.hpp" "${ROOT}/dialogs/*.cpp"
     "${ROOT}/storage/*.hpp" "${ROOT}/storage/*.cpp"
     "${ROOT}/adapters/*.hpp" "${ROOT}/adapters/*.cpp"
     "${ROOT}/bot/*.hpp" "${ROOT}/bot/*.cpp")
foreach(f IN LISTS sources)
  file(RELATIVE_PATH rel "${ROOT}" "${f}")
  if(rel MATCHES "^dialogs/")
    check_file("${f}" dialogs)
  elseif(rel MATCHES "^storage/")
    check_file("${f}" storage)
  elseif(rel MATCHES "^adapters/")
    check_file("${f}" adapters)
  elseif(rel MATCHES "^bot/net/.*\\.hpp$")
    check_file("${f}" net_header)
    check_file("${f}" net)
  elseif(rel MATCHES "^bot/net/")
    check_file("${f}" net)
  else()
    check_file("${f}" bot)
  endif()
endforeach()

if(problems)
  message(FATAL_ERROR "Includes that cross a layer the wrong way (DESIGN.md §1):\n${problems}")
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
