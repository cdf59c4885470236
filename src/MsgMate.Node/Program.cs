using MsgMate.Node;

return MsgMateNode.Run(MsgMateNode.Build(args));

/// <summary>Entry point; <see cref="MsgMateNode"/> composes the node.</summary>
public partial class Program;
