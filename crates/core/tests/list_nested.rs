//! Lists whose items hold containers: a list of maps (todo items), texts
//! in lists, lists in lists, counters in lists.

use std::sync::{Arc, Mutex};

use converge_core::{
    Change, ChangeKind, Doc, DocError, DocValue, Kind, ListItem, ListStep, PathSeg, ReplicaId,
    Value,
};

fn exchange(a: &mut Doc, b: &mut Doc) {
    let from_a = a.encode_since(&b.version());
    let from_b = b.encode_since(&a.version());
    if let Some(d) = from_a {
        let _ = b.apply(&d).unwrap();
    }
    if let Some(d) = from_b {
        let _ = a.apply(&d).unwrap();
    }
    assert_eq!(a.snapshot(), b.snapshot(), "replicas differ after exchange");
    assert_eq!(a.to_value(), b.to_value());
}

fn todo(doc: &mut Doc, index: usize, title: &str) {
    let mut tx = doc.transact();
    let mut todos = tx.list("todos");
    let mut item = todos.insert_map(index).unwrap();
    item.lww("title").set_at(title, 1).unwrap();
    item.lww("done").set_at(false, 1).unwrap();
}

fn titles(doc: &Doc) -> Vec<String> {
    let list = doc.root().list("todos").unwrap();
    (0..list.len())
        .filter_map(|i| match list.map(i)?.lww("title") {
            Some(Value::Str(s)) => Some(s.clone()),
            other => panic!("no title: {other:?}"),
        })
        .collect()
}

#[test]
fn a_list_of_maps_is_edited_read_and_synced() {
    let mut a = Doc::new(ReplicaId::new(1));
    todo(&mut a, 0, "milk");
    todo(&mut a, 1, "bread");
    {
        let mut tx = a.transact();
        let mut todos = tx.list("todos");
        todos.push(Value::from("a plain value")).unwrap();
        let mut notes = todos.insert_text(3).unwrap();
        notes.insert(0, "call mum").unwrap();
    }
    let list = a.root().list("todos").unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list.item(0), Some(&ListItem::Container(Kind::Map)));
    assert_eq!(list.get(0), None, "a container is not a plain value");
    assert_eq!(list.get(2), Some(&Value::from("a plain value")));
    assert_eq!(list.text(3).unwrap().to_string(), "call mum");
    assert_eq!(titles(&a)[..], ["milk", "bread"]);
    let value = a.to_value();
    let DocValue::List(items) = &value["todos"] else {
        panic!("not a list: {value:?}");
    };
    assert_eq!(items.len(), 4);
    assert!(
        matches!(&items[0], DocValue::Map(m) if m["title"] == DocValue::Register("milk".into()))
    );
    assert_eq!(items[2], DocValue::Scalar("a plain value".into()));
    assert_eq!(items[3], DocValue::Text("call mum".into()));

    // A new replica gets it all from a snapshot and from a delta.
    let loaded = Doc::load(ReplicaId::new(2), &a.snapshot()).unwrap();
    assert_eq!(loaded.to_value(), a.to_value());
    assert_eq!(loaded.snapshot(), a.snapshot());
    let mut b = Doc::new(ReplicaId::new(3));
    exchange(&mut a, &mut b);
}

#[test]
fn concurrent_edits_inside_one_item_merge() {
    let mut a = Doc::new(ReplicaId::new(1));
    todo(&mut a, 0, "milk");
    let mut b = a.fork(ReplicaId::new(2));
    {
        let mut tx = a.transact();
        let mut todos = tx.list("todos");
        let mut item = todos.map(0).unwrap();
        item.lww("done").set_at(true, 2).unwrap();
        item.counter("votes").add(1).unwrap();
    }
    {
        let mut tx = b.transact();
        let mut todos = tx.list("todos");
        todos.map(0).unwrap().counter("votes").add(2).unwrap();
        todos.map(0).unwrap().text("note").push_str("2%").unwrap();
        // And a concurrent insert before it: indices shift, ids do not.
        todos.insert(0, 7).unwrap();
    }
    exchange(&mut a, &mut b);
    let list = a.root().list("todos").unwrap();
    assert_eq!(list.get(0), Some(&Value::Int(7)));
    let item = list.map(1).unwrap();
    assert_eq!(item.counter("votes"), Some(3));
    assert_eq!(item.lww("done"), Some(&Value::Bool(true)));
    assert_eq!(item.text("note").unwrap().to_string(), "2%");
}

#[test]
fn deleting_an_item_deletes_what_it_holds_even_concurrent_edits() {
    let mut a = Doc::new(ReplicaId::new(1));
    todo(&mut a, 0, "milk");
    todo(&mut a, 1, "bread");
    let mut b = a.fork(ReplicaId::new(2));
    a.transact().list("todos").delete(0, 1).unwrap();
    {
        let mut tx = b.transact();
        let mut todos = tx.list("todos");
        todos.map(0).unwrap().counter("votes").add(5).unwrap();
        todos.map(1).unwrap().lww("done").set_at(true, 3).unwrap();
    }
    exchange(&mut a, &mut b);
    assert_eq!(titles(&a), ["bread"]);
    let item = a.root().list("todos").unwrap().map(0).unwrap();
    assert_eq!(item.lww("done"), Some(&Value::Bool(true)));
    // The same outcome whichever order the replicas saw the edits in, and
    // from a third replica that merges both states.
    let mut c = Doc::new(ReplicaId::new(3));
    let _ = c.merge(&b).unwrap();
    let _ = c.merge(&a).unwrap();
    assert_eq!(c.snapshot(), a.snapshot());
    c.check_invariants();
}

#[test]
fn removing_the_list_removes_its_items_containers() {
    let mut a = Doc::new(ReplicaId::new(1));
    todo(&mut a, 0, "milk");
    let mut b = a.fork(ReplicaId::new(2));
    assert!(a.transact().root().remove("todos").unwrap());
    b.transact().list("todos").push(1).unwrap(); // unseen by a: survives
    exchange(&mut a, &mut b);
    let list = a.root().list("todos").unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list.get(0), Some(&Value::Int(1)));
}

#[test]
fn lists_nest_in_lists_and_counters_sit_in_lists() {
    let mut a = Doc::new(ReplicaId::new(1));
    {
        let mut tx = a.transact();
        let mut grid = tx.list("grid");
        for r in 0..3 {
            let mut row = grid.insert_list(r).unwrap();
            for c in 0..3 {
                row.push((r * 3 + c) as i64).unwrap();
            }
        }
        grid.insert_counter(3).unwrap().add(-4).unwrap();
        grid.push_map().unwrap(); // an empty map item
        grid.push_text().unwrap().push_str("t").unwrap();
        grid.push_list().unwrap().push(1).unwrap();
        grid.push_counter().unwrap().add(9).unwrap();
    }
    let mut b = Doc::load(ReplicaId::new(2), &a.snapshot()).unwrap();
    b.transact()
        .list("grid")
        .list(1)
        .unwrap()
        .set(1, 40)
        .unwrap();
    a.transact()
        .list("grid")
        .counter(3)
        .unwrap()
        .add(1)
        .unwrap();
    exchange(&mut a, &mut b);
    let grid = a.root().list("grid").unwrap();
    let row: Vec<&Value> = grid.list(1).unwrap().values().collect();
    assert_eq!(row, [&Value::Int(3), &Value::Int(40), &Value::Int(5)]);
    assert_eq!(grid.counter(3), Some(-3));
    assert!(grid.map(4).unwrap().is_empty());
    assert_eq!(grid.text(5).unwrap().to_string(), "t");
    assert_eq!(grid.list(6).unwrap().get(0), Some(&Value::Int(1)));
    assert_eq!(grid.counter(7), Some(9));
    assert_eq!(grid.len(), 8);
    assert_eq!(
        grid.container(4)
            .map(|v| matches!(v, converge_core::ValueRef::Map(_))),
        Some(true)
    );
}

#[test]
fn handles_refuse_items_that_hold_something_else() {
    let mut a = Doc::new(ReplicaId::new(1));
    let mut tx = a.transact();
    let mut list = tx.list("l");
    list.push(1).unwrap();
    list.insert_text(1).unwrap();
    assert_eq!(list.map(0).err(), Some(DocError::NotAContainer(Kind::Map)));
    assert_eq!(list.map(1).err(), Some(DocError::NotAContainer(Kind::Map)));
    assert!(list.text(1).is_ok());
    assert_eq!(
        list.text(2).err(),
        Some(DocError::OutOfBounds { pos: 2, len: 2 })
    );
    assert_eq!(list.get(1), None);
    assert_eq!(list.item(1), Some(ListItem::Container(Kind::Text)));
}

#[test]
fn events_name_list_items_by_their_current_index() {
    let mut a = Doc::new(ReplicaId::new(1));
    todo(&mut a, 0, "milk");
    todo(&mut a, 1, "bread");
    let mut b = a.fork(ReplicaId::new(2));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    b.subscribe(move |e| sink.lock().unwrap().extend(e.changes.clone()));
    {
        let mut tx = a.transact();
        let mut todos = tx.list("todos");
        todos.map(1).unwrap().lww("done").set_at(true, 2).unwrap();
        todos.insert(0, "first").unwrap();
        todos.map(2).unwrap().text("note").push_str("hi").unwrap();
    }
    exchange(&mut a, &mut b);
    let changes = seen.lock().unwrap().clone();
    let path = |p: &[PathSeg]| p.to_vec();
    let done = vec![
        PathSeg::from("todos"),
        PathSeg::Index(2),
        PathSeg::from("done"),
    ];
    assert!(
        changes.iter().any(|c| c.path == done
            && c.kind
                == ChangeKind::Register {
                    old: vec![Value::Bool(false)],
                    new: vec![Value::Bool(true)]
                }),
        "{changes:#?}"
    );
    assert!(changes
        .iter()
        .any(|c| path(&c.path) == [PathSeg::from("todos")]
            && c.kind
                == ChangeKind::List(vec![ListStep::Insert(vec![ListItem::Value(
                    "first".into()
                )])])));
    let note = vec![
        PathSeg::from("todos"),
        PathSeg::Index(2),
        PathSeg::from("note"),
    ];
    assert!(changes
        .iter()
        .any(|c| c.path == note && c.kind == ChangeKind::Inserted(Kind::Text)));

    // An item inserted and filled in one event: the list's insert step
    // announces it, then its content follows (locally and remotely alike),
    // so a mirror applying the changes in order ends equal.
    let local = Arc::new(Mutex::new(Vec::new()));
    let sink = local.clone();
    a.subscribe(move |e| sink.lock().unwrap().push(e.changes.clone()));
    seen.lock().unwrap().clear();
    let delta = {
        let mut tx = a.transact();
        let mut todos = tx.list("todos");
        todos.insert_map(0).unwrap().counter("n").add(1).unwrap();
        tx.commit().unwrap()
    };
    let _ = b.apply(&delta).unwrap();
    let n = vec![
        PathSeg::from("todos"),
        PathSeg::Index(0),
        PathSeg::from("n"),
    ];
    let inserted = vec![
        Change {
            path: vec![PathSeg::from("todos")],
            kind: ChangeKind::List(vec![ListStep::Insert(vec![ListItem::Container(Kind::Map)])]),
        },
        Change {
            path: n.clone(),
            kind: ChangeKind::Inserted(Kind::Counter),
        },
        Change {
            path: n,
            kind: ChangeKind::Counter { old: 0, new: 1 },
        },
    ];
    assert_eq!(local.lock().unwrap().clone(), vec![inserted.clone()]);
    assert_eq!(seen.lock().unwrap().clone(), inserted);

    // Emptying an item's map is reported (the item stays, empty).
    local.lock().unwrap().clear();
    assert!(a
        .transact()
        .list("todos")
        .map(0)
        .unwrap()
        .remove("n")
        .unwrap());
    assert_eq!(
        local.lock().unwrap().clone(),
        vec![vec![Change {
            path: vec![
                PathSeg::from("todos"),
                PathSeg::Index(0),
                PathSeg::from("n")
            ],
            kind: ChangeKind::Removed(Kind::Counter),
        }]]
    );
    assert!(a.root().list("todos").unwrap().map(0).unwrap().is_empty());

    // Changes come in the order they happened, each with the indices of
    // that moment: the title of milk (then at 2), then the insert before it.
    local.lock().unwrap().clear();
    {
        let mut tx = a.transact();
        let mut todos = tx.list("todos");
        // [new map, "first", milk, bread]: milk's title, then an insert.
        todos
            .map(2)
            .unwrap()
            .lww("title")
            .set_at("MILK", 9)
            .unwrap();
        todos.insert(0, 0).unwrap();
    }
    let event = local.lock().unwrap()[0].clone();
    assert_eq!(event.len(), 2, "{event:#?}");
    assert_eq!(
        event[0].path,
        [
            PathSeg::from("todos"),
            PathSeg::Index(2),
            PathSeg::from("title")
        ]
    );
    assert_eq!(event[1].path, [PathSeg::from("todos")]);
}

#[test]
fn containers_cannot_be_inserted_past_the_depth_limit() {
    let mut a = Doc::new(ReplicaId::new(1));
    let keys: Vec<String> = (0..converge_core::MAX_DEPTH - 1)
        .map(|i| i.to_string())
        .collect();
    let mut tx = a.transact();
    let mut deep = tx.map_at(&keys);
    let mut list = deep.list("l");
    list.push(1).unwrap();
    assert_eq!(
        list.insert_map(0).err(),
        Some(DocError::TooDeep(converge_core::MAX_DEPTH))
    );
    assert_eq!(list.len(), 1);
}

#[test]
fn a_deleted_items_edits_from_a_late_delta_are_dropped_everywhere() {
    // c edits inside an item; a deletes it; b gets a's delete first and
    // c's edit later, a gets them in the other order. Same state.
    let mut a = Doc::new(ReplicaId::new(1));
    todo(&mut a, 0, "milk");
    let mut b = a.fork(ReplicaId::new(2));
    let mut c = a.fork(ReplicaId::new(3));
    let del = {
        let mut tx = a.transact();
        tx.list("todos").delete(0, 1).unwrap();
        tx.commit().unwrap()
    };
    let edit = {
        let mut tx = c.transact();
        tx.list("todos")
            .map(0)
            .unwrap()
            .text("note")
            .push_str("late")
            .unwrap();
        tx.commit().unwrap()
    };
    let _ = b.apply(&del).unwrap();
    let _ = b.apply(&edit).unwrap();
    let _ = a.apply(&edit).unwrap();
    let _ = c.apply(&del).unwrap();
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(a.snapshot(), c.snapshot());
    // A list with no visible item reads as absent (its ids stay for
    // concurrent inserts next to them); its handle reads it as empty.
    assert!(a.root().list("todos").is_none());
    assert!(a.get_list("todos").read(&a).is_empty());
    // Later items and edits still work.
    todo(&mut b, 0, "eggs");
    exchange(&mut a, &mut b);
    assert_eq!(titles(&a), ["eggs"]);
}

/// The document scenarios (and the `convergence` fuzzer built on them)
/// reach items holding containers, edits inside them, and nesting: their
/// convergence checks are not vacuous for nested lists.
#[test]
fn random_scenario_operations_reach_nested_list_items() {
    use converge_testkit::{scenario::random_op, DocModel, Rng};
    fn depth_of_items(v: &DocValue) -> usize {
        match v {
            DocValue::List(items) => items
                .iter()
                .map(|i| match i {
                    DocValue::Scalar(_) => 0,
                    other => 1 + depth_of_items(other),
                })
                .max()
                .unwrap_or(0),
            DocValue::Map(m) => m.values().map(depth_of_items).max().unwrap_or(0),
            _ => 0,
        }
    }
    let mut deepest = 0;
    for seed in 0..20 {
        let mut rng = Rng::new(seed);
        let mut doc = Doc::new(ReplicaId::new(1));
        let mut model = DocModel::default();
        for _ in 0..400 {
            let mut tx = doc.transact();
            random_op(&mut rng, &mut tx, &mut model);
        }
        let value = DocValue::Map(doc.to_value());
        deepest = deepest.max(depth_of_items(&value));
    }
    assert!(
        deepest >= 2,
        "no list item held a container holding a container"
    );
}
