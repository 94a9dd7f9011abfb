#ifndef CGRPC_H
#define CGRPC_H

// System headers first: grpc's port_platform.h defines _GNU_SOURCE, which changes
// fd_set; including these first keeps the definitions Glibc/Foundation already saw.
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/select.h>
#include <pthread.h>

#include <grpc/grpc.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/status.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <grpc/grpc_security.h>

/// The first byte of a slice's bytes (GRPC_SLICE_START_PTR, a macro).
const uint8_t *CGRPC_slice_start(const grpc_slice *slice);

/// The length of a slice (GRPC_SLICE_LENGTH, a macro).
size_t CGRPC_slice_length(const grpc_slice *slice);

/// Copies every slice of a byte buffer into `dst`, which holds at least
/// `grpc_byte_buffer_length(buffer)` bytes. Returns the number of bytes copied, or
/// SIZE_MAX when the buffer cannot be read (for instance a compression failure).
size_t CGRPC_byte_buffer_copy_out(grpc_byte_buffer *buffer, uint8_t *dst, size_t capacity);

/// A new raw byte buffer holding a copy of `length` bytes at `bytes`.
grpc_byte_buffer *CGRPC_byte_buffer_create(const uint8_t *bytes, size_t length);

/// Everything `grpc_server_request_registered_call` / `grpc_server_request_call`
/// write into, in one allocation that stays put until the request's tag completes.
typedef struct {
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array metadata;
  grpc_byte_buffer *payload;
  grpc_call_details details;
} CGRPC_requested_call;

/// The storage a client unary or streaming call's receive ops write into.
typedef struct {
  grpc_metadata_array initial_metadata;
  grpc_metadata_array trailing_metadata;
  grpc_byte_buffer *message;
  grpc_status_code status;
  grpc_slice status_details;
  const char *error_string;
  int cancelled;
} CGRPC_call_results;

#endif
