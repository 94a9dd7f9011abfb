#include "CGRPC.h"

const uint8_t *CGRPC_slice_start(const grpc_slice *slice) {
  return GRPC_SLICE_START_PTR(*slice);
}

size_t CGRPC_slice_length(const grpc_slice *slice) {
  return GRPC_SLICE_LENGTH(*slice);
}

size_t CGRPC_byte_buffer_copy_out(grpc_byte_buffer *buffer, uint8_t *dst, size_t capacity) {
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer)) {
    return SIZE_MAX;
  }
  size_t offset = 0;
  grpc_slice slice;
  while (grpc_byte_buffer_reader_next(&reader, &slice)) {
    size_t length = GRPC_SLICE_LENGTH(slice);
    if (offset + length > capacity) {
      grpc_slice_unref(slice);
      grpc_byte_buffer_reader_destroy(&reader);
      return SIZE_MAX;
    }
    if (length > 0) {
      memcpy(dst + offset, GRPC_SLICE_START_PTR(slice), length);
    }
    offset += length;
    grpc_slice_unref(slice);
  }
  grpc_byte_buffer_reader_destroy(&reader);
  return offset;
}

grpc_byte_buffer *CGRPC_byte_buffer_create(const uint8_t *bytes, size_t length) {
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)bytes, length);
  grpc_byte_buffer *buffer = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return buffer;
}
