"""``cc_relay.admin.v1``: the messages and stubs generated from
``proto/cc_relay/admin/v1/admin.proto`` by ``scripts/gen-proto``. Do not edit the
``*_pb2*`` modules by hand; change the proto and regenerate."""
