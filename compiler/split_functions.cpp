// Cuts functions too long for LLVM's optimiser into a chain of noinline functions, before -O<n>.
// A large graph's entry function is one long chain of loop nests (a 1000-op graph: 2,800 blocks),
// and some of -O3's loop passes take time quadratic in that chain's length: IndVarSimplify and
// LoopRotate ask ScalarEvolution whether a loop's entry is guarded, which walks the dominator
// tree from the loop up to the function's entry (83 % of `opt -O3` on that graph). Pieces of
// bounded size keep compile time linear in the graph's size. The pieces hold kernels' loops
// that have little to optimise across each other; small functions are left whole.
#include <functional>

#include "compiler/codegen.h"
#include "llvm/ADT/PostOrderIterator.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/InstructionSimplify.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

// Blocks dominated by `from` but not by `to` (`to` dominated by `from`, or null).
std::vector<llvm::BasicBlock*> dominated_between(const llvm::DominatorTree& dt,
                                                 llvm::BasicBlock* from, llvm::BasicBlock* to) {
  std::vector<llvm::BasicBlock*> blocks;
  std::vector<const llvm::DomTreeNode*> stack = {dt.getNode(from)};
  while (!stack.empty()) {
    const llvm::DomTreeNode* node = stack.back();
    stack.pop_back();
    if (node->getBlock() == to) continue;
    blocks.push_back(node->getBlock());
    for (const llvm::DomTreeNode* child : node->children()) stack.push_back(child);
  }
  return blocks;
}

// Reads of memref descriptors' fields become the values written into them: the sizes and strides
// are constants again where they are used, and a piece takes the buffers' pointers rather than
// whole descriptors.
void forward_descriptor_fields(llvm::Function& f) {
  const llvm::SimplifyQuery query(f.getParent()->getDataLayout());
  for (llvm::BasicBlock* block : llvm::ReversePostOrderTraversal<llvm::Function*>(&f))
    for (llvm::Instruction& i : llvm::make_early_inc_range(*block))
      if (llvm::isa<llvm::ExtractValueInst>(i))
        if (llvm::Value* v = llvm::simplifyInstruction(&i, query)) {
          i.replaceAllUsesWith(v);
          i.eraseFromParent();
        }
}

// Copies into `blocks` (entered at the first) the constant-offset address computations outside
// them that they use, so that a piece takes the base pointer rather than the addresses of views
// into it: it then sees, as the whole function did, that views at different offsets of one arena
// do not overlap, and vectorises their loops without run-time alias checks.
void rematerialize_addresses(const std::vector<llvm::BasicBlock*>& blocks) {
  llvm::SmallPtrSet<llvm::BasicBlock*, 32> inside(blocks.begin(), blocks.end());
  llvm::DenseMap<llvm::Value*, llvm::Value*> copies;
  llvm::Instruction* at = &*blocks.front()->getFirstInsertionPt();
  // The copy of `v` inside (`v` itself unless it is a constant-offset GEP from outside).
  std::function<llvm::Value*(llvm::Value*)> local = [&](llvm::Value* v) -> llvm::Value* {
    auto* gep = llvm::dyn_cast<llvm::GetElementPtrInst>(v);
    if (!gep || inside.contains(gep->getParent()) || !gep->hasAllConstantIndices()) return v;
    if (auto it = copies.find(gep); it != copies.end()) return it->second;
    llvm::Value* base = local(gep->getPointerOperand());
    llvm::Instruction* copy = gep->clone();
    copy->setOperand(0, base);
    copy->insertBefore(at);
    return copies[gep] = copy;
  };
  for (llvm::BasicBlock* block : blocks)
    for (llvm::Instruction& i : *block)
      if (!llvm::isa<llvm::PHINode>(i))  // a phi's value comes from its predecessor
        for (llvm::Use& use : i.operands())
          if (llvm::Value* v = local(use.get()); v != use.get()) use.set(v);
}

// Fixed-size allocas (the descriptors MLIR builds to pass a memref unranked to a library call,
// made where the call is) move to the entry block, which no piece takes: CodeExtractor refuses a
// region holding an alloca. In a loop that also stops the stack from growing at every iteration.
void hoist_static_allocas(llvm::Function& f) {
  llvm::Instruction* at = &*f.getEntryBlock().getFirstInsertionPt();
  for (llvm::BasicBlock& block : f) {
    if (&block == &f.getEntryBlock()) continue;
    for (llvm::Instruction& i : llvm::make_early_inc_range(block))
      if (auto* alloca = llvm::dyn_cast<llvm::AllocaInst>(&i);
          alloca && llvm::isa<llvm::ConstantInt>(alloca->getArraySize()))
        alloca->moveBefore(at);
  }
}

void split(llvm::Function& f, size_t max_blocks) {
  forward_descriptor_fields(f);
  hoist_static_allocas(f);
  llvm::DominatorTree dt(f);
  dt.updateDFSNumbers();
  // The spine: the blocks every path to a return passes through, entry first. Each region
  // between two of them is entered at the first and left at the second.
  llvm::BasicBlock* exit = nullptr;
  for (llvm::BasicBlock& block : f)
    if (llvm::isa<llvm::ReturnInst>(block.getTerminator()))
      exit = exit ? dt.findNearestCommonDominator(exit, &block) : &block;
  if (!exit) return;
  std::vector<llvm::BasicBlock*> spine;
  for (auto* node = dt.getNode(exit); node; node = node->getIDom())
    spine.push_back(node->getBlock());
  std::reverse(spine.begin(), spine.end());
  auto subtree = [&](llvm::BasicBlock* b) {  // blocks `b` dominates, itself included
    const llvm::DomTreeNode* n = dt.getNode(b);
    return static_cast<size_t>(n->getDFSNumOut() - n->getDFSNumIn() + 1) / 2;
  };
  // The entry block stays (its allocas must outlive every piece), and so does a tail shorter
  // than half a piece.
  std::vector<std::vector<llvm::BasicBlock*>> regions;
  for (size_t a = 1, b = 2; b < spine.size(); ++b) {
    if (subtree(spine[a]) - subtree(spine[b]) < max_blocks) continue;
    if (subtree(spine[b]) < max_blocks / 2) break;
    regions.push_back(dominated_between(dt, spine[a], spine[b]));
    a = b;
  }
  // All copies first: an address made in an earlier piece is out of reach once that is extracted.
  for (const auto& blocks : regions) rematerialize_addresses(blocks);
  for (const auto& blocks : regions) {
    llvm::CodeExtractor extractor(blocks);
    if (!extractor.isEligible()) continue;  // an alloca, or a block entered from elsewhere
    llvm::CodeExtractorAnalysisCache cache(f);
    if (llvm::Function* piece = extractor.extractCodeRegion(cache))
      piece->addFnAttr(llvm::Attribute::NoInline);
  }
}

}  // namespace

void split_large_functions(llvm::Module& module, size_t max_blocks) {
  std::vector<llvm::Function*> large;
  for (llvm::Function& f : module)
    if (!f.isDeclaration() && f.size() > 2 * max_blocks) large.push_back(&f);
  for (llvm::Function* f : large) split(*f, max_blocks);
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (!large.empty() && llvm::verifyModule(module, &os))
    throw InternalError("splitting a large function broke its IR:\n" + problems);
}

}  // namespace tf::compiler
