package engine

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/wampd/wampd/engine/bridge"
)

// bridgeSet is the router's HTTP bridges (engine/bridge), one per realm
// that configures one, in configuration order.
type bridgeSet struct {
	realms []string
	addrs  []string // configured listen addresses
	list   []*bridge.Bridge
}

// newBridges builds the bridges of the configured realms; their sessions
// join through rt.JoinLocal. Nothing listens until startBridges.
func (rt *Router) newBridges() error {
	for _, rc := range rt.cfg.Realms {
		if rc.Bridge == nil {
			continue
		}
		b, err := bridge.New(rc.Name, *rc.Bridge, rt, rt.log)
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		rt.bridges.realms = append(rt.bridges.realms, rc.Name)
		rt.bridges.addrs = append(rt.bridges.addrs, rc.Bridge.Listen)
		rt.bridges.list = append(rt.bridges.list, b)
	}
	return nil
}

// startBridges binds and serves every bridge, logging one "bridge" line
// each (addr=HOST:PORT, as the listeners').
func (rt *Router) startBridges() error {
	for i, b := range rt.bridges.list {
		if err := b.Start(rt.bridges.addrs[i]); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		rt.log.Info("bridge", "realm", rt.bridges.realms[i], "addr", b.Addr().String(), "url", "http://"+b.Addr().String())
	}
	return nil
}

// stopBridges stops the bridges (first in Shutdown: their waiting requests
// give up, their sessions leave before the realms say GOODBYE).
func (rt *Router) stopBridges(ctx context.Context) error {
	var err error
	for _, b := range rt.bridges.list {
		err = errors.Join(err, b.Stop(ctx))
	}
	return err
}

// BridgeAddr is the bound address of realmName's HTTP bridge, nil when it
// has none or the router has not started.
func (rt *Router) BridgeAddr(realmName string) net.Addr {
	for i, name := range rt.bridges.realms {
		if name == realmName {
			return rt.bridges.list[i].Addr()
		}
	}
	return nil
}

// Bridge is realmName's HTTP bridge (its Stats for the admin collector),
// nil when it has none.
func (rt *Router) Bridge(realmName string) *bridge.Bridge {
	for i, name := range rt.bridges.realms {
		if name == realmName {
			return rt.bridges.list[i]
		}
	}
	return nil
}
