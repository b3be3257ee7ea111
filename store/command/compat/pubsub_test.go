package compat

import (
	"context"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

func TestPubSubBasics(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		sub := client(t, s, proto)
		pub := client(t, s, 2)
		ps := sub.Subscribe(ctx, "news")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		pps := sub.PSubscribe(ctx, "ne*")
		if _, err := pps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := pub.Publish(ctx, "news", "hello").Result(); err != nil || n != 2 {
			t.Fatalf("RESP%d PUBLISH = %d, %v; want 2 receivers", proto, n, err)
		}
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil || msg.Channel != "news" || msg.Payload != "hello" {
			t.Fatalf("RESP%d message = %+v, %v", proto, msg, err)
		}
		pmsg, err := pps.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hello" || pmsg.Pattern != "ne*" {
			t.Fatalf("RESP%d pmessage = %+v, %v", proto, pmsg, err)
		}
		ps.Close()
		pps.Close()
	}
}

func TestKeyspaceEventsForExpiredAndSet(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err(); err != nil {
		t.Fatal(err)
	}
	ps := c.PSubscribe(ctx, "__key*@0__:*")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	w := client(t, s, 2)
	w.Set(ctx, "foo", "bar", 100*time.Millisecond)
	want := map[string]bool{"__keyspace@0__:foo set": false, "__keyevent@0__:set foo": false,
		"__keyspace@0__:foo expired": false, "__keyevent@0__:expired foo": false}
	deadline := time.After(5 * time.Second)
	ch := ps.Channel()
	for {
		done := true
		for _, seen := range want {
			done = done && seen
		}
		if done {
			return
		}
		select {
		case m := <-ch:
			want[m.Channel+" "+m.Payload] = true
		case <-deadline:
			t.Fatalf("events seen: %v", want)
		}
	}
}
